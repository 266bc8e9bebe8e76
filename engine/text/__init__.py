"""Text handling shared by the localization tools: normalisation for exact matching, game code
tags, and a character-level fuzzy index."""
