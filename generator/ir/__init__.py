"""Intermediate representation: what templates see (`model`), and how it is built (`build`)."""
