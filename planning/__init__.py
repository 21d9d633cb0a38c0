"""What to enrich next: which workflows fill which required fields, how often they really do,
what they cost, and (to come) the plan that turns a credit budget into newly visible leads."""
