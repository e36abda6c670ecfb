"""Project job kinds of the bulletin area."""
