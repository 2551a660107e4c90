# A CA file as the TLS context wants it: some MicroPython builds' mbedtls parse DER only, and DER is what
# both interpreters take as bytes. Shared by the MQTT link (net/link.py) and OCPP (ocpp16/task.py).


def der(data):
    """The first certificate of a PEM file as DER bytes; DER data unchanged."""
    begin = data.find(b"-----BEGIN CERTIFICATE-----")
    if begin < 0:
        return data
    end = data.find(b"-----END CERTIFICATE-----", begin)
    if end < 0:
        raise ValueError("CA file: no END CERTIFICATE line")
    from binascii import a2b_base64

    body = data[begin + 27:end].replace(b"\r", b"").replace(b"\n", b"")
    return a2b_base64(body)
