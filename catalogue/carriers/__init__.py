"""Carriers: the shop's port to delivery companies (GHN, Viettel Post, …), one package per carrier."""
