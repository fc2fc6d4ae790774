"""What people do with pilotflow, one typed function per use case.

The JSON routes (service/routes/) and the web pages (service/pages/) both call these: a
route parses HTTP and returns the answer, a page reads its form and renders. Who may call
a use case is checked once, by the role dependencies of service/deps.py, before it runs.
"""
