"""From a question to ranked passages: understanding, filters, ranking, abstention."""
