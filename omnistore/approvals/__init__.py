"""A manager's approval of a risky move at the counter: asked for by the associate's
action, given with the manager's PIN on the same tablet or from the manager's own
device, and recorded whichever way it ends."""
