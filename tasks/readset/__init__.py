"""Tasks of the HealthOmics read-set metadata sync."""
