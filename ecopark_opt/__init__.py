"""ecopark_opt — optimal design of eco-industrial parks (industrial symbiosis networks)."""

__version__ = "0.1.0"
