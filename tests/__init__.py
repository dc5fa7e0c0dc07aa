"""Tests of the SMETS HAN integration."""
