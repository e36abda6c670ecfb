"""Registry job kinds (registered when the app is ready)."""
