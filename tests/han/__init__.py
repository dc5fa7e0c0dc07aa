"""Tests of the HAN library; they run without Home Assistant."""
