"""No Django models: the full-text index is a table of the database's own (see index.py),
created by this app's migration and kept by triggers. This module exists so Django sends this
app its `post_migrate` signal (it skips apps without a models module), on which the index's
triggers are checked (index_upkeep.py)."""
