pytest_plugins = ["irflow.testing.fixtures", "irflow.testing.tools"]
