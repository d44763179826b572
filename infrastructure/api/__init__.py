"""The API's published contract: the OpenAPI document and the script that builds it."""
