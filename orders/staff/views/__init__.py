"""Staff order screens, one module per screen: the assisted sale, the order page and
picking, the pickup desk, the returns desk, exchanges, and panels on other pages."""
