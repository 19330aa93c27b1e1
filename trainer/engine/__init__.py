"""The simulated COO: a state machine that decides what the COO does next and when the call ends."""
