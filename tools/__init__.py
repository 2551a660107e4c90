# Host-side tools: the virtual test bench and the scenario runner (never shipped to a board).
