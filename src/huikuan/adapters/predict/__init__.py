"""Prediction models behind the ``Predictor`` port (services/ports.py)."""
