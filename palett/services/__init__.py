"""The product, in plain Python: no Reflex imports here."""
