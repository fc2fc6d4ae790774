"""The web pages: each role's daily work in the browser, on the same use cases as the JSON API.

They are an application of their own (service/pages/app.py), mounted beside the API.
"""
