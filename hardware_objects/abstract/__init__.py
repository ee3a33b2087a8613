"""Interfaces that bricks and the queue program against."""
