"""A stand-in for BuzManager's OData reporting API, for demos and tests.

It is a test double of the real system: it speaks the public contract
(interface §10) and knows nothing of BuzETA's own code.
"""
