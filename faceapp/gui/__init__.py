"""The desktop application: a Qt main window over the Qt-free engine."""
