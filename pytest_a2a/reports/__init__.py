"""Reports: result rows and the terminal, JSON and HTML views of them."""
