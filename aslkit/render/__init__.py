"""Human-readable renderings of state machines (outline now; diagrams later)."""
