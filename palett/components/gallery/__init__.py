"""The gallery page's parts, one module per state they drive: the grid and its lightbox, the filters, the bar
for the selected images, and the collections sidebar with its dialogs."""
