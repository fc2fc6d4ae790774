"""All the I/O the workflows need: matching, read-model writes, email."""
