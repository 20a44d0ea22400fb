"""Editing a painted face at full resolution, inside its region of the texture."""
