"""Recognising a person's digits: generated photos, `mnist-predict`, its web server and the page in a browser."""
