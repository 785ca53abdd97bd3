"""Writes of the approval state machine and of the managers' PINs."""
