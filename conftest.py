pytest_plugins = ["irflow.testing.fixtures"]
