"""Project job kinds of the imports area."""
