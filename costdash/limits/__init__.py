"""Monthly spend limits (org and per Anthropic workspace) and where this month stands against them."""
