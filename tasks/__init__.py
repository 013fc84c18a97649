"""Task Lambda code, one package per business process: pure functions plus thin handlers."""
