"""Circulation (반출반입): requests to take boxes out of the stacks, approvals, the reservation
queue, check-out and return (two sagas with the stacks), overdue chasing and the register."""
