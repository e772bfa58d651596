"""The running app without Qt: the loops, queues and jobs the window and the CLI drive."""
