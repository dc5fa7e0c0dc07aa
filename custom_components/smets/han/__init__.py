"""The SMETS HAN library: ZigBee Smart Energy for GB smart meters over zigpy.

Nothing in this package imports Home Assistant: it could be published on its
own, and its tests run without Home Assistant.
"""
