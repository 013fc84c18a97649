"""aslkit's LocalStack plugins: a subprocess Lambda executor, moto DynamoDB, pure-Python JSONata, state reset."""
