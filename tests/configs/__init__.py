"""Tests of lerobot.configs."""
