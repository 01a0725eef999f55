"""Reports service: sales figures for the back office, read from the orders read replica."""
