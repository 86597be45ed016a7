"""The Kitsu tracker (CGWire's zou API through ``gazu``); ``tracker.create`` builds it."""
