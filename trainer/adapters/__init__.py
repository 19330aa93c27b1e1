"""Vendor adapters: every SDK the project uses lives here, picked by trainer.wiring."""
