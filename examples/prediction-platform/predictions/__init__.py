"""Prediction services: the coordinator fans requests out, the worker computes predictions."""
