"""The main window's panels and dialogs; each gets the AppContext it shows and subscribes to it."""
