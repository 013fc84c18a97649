"""The execution model every backend and renderer shares: results and histories, following, AWS clients."""
