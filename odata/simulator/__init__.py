"""A stand-in for BuzManager's OData reporting API, for demos and tests.

It is a test double of the real system: it speaks the public contract
(its entity sets, filters, paging and blackout) and knows nothing of BuzETA's own code.
"""
