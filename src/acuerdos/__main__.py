from acuerdos.cli.commands import main

main()
