"""Partners (파트너 연계): partner clients of an organisation, their API keys and quotas, the partner authorizer, the change feed."""
