"""Reads: who may approve where, the queue, the PIN state."""
