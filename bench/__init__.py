"""Side-by-side benchmarks: each module measures OnePiece beside its named peer."""
